import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

export interface HotSpot {
  name: string;
  /** Share of all samples (idle excluded), percent. */
  selfPercent: number;
}

export interface ProfileSummary {
  file: string;
  /** Wall time covered, s. */
  seconds: number;
  /** Share of the time the process was busy (not idle), percent. */
  busyPercent: number;
  functions: HotSpot[];
  /** Self time by origin: a node_modules package, the app bundle, Node internals, GC. */
  origins: HotSpot[];
  /** Share of busy samples with the origin anywhere on the stack (what it costs, callees included). */
  inclusiveOrigins: HotSpot[];
  /** The app's own functions (the dist bundle) by inclusive time: which code paths cost the most. */
  inclusiveAppFunctions: HotSpot[];
}

/** Where a frame comes from: `pg`, `@nestjs/core`, `app`, `node:internal`, `(garbage collector)`… */
function originOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const parts = url.slice(modules + 'node_modules/'.length).split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1] ?? ''}` : (parts[0] ?? url);
  }
  if (url.startsWith('node:')) return 'node internals';
  if (url.includes('/dist/apps/')) return 'app (dist bundle)';
  return url;
}

/** Self time per function and per origin, from a V8 .cpuprofile. */
export function summariseProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const total = profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0) || 1;
  const idle = profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').reduce((s, n) => s + (n.hitCount ?? 0), 0);
  const busy = Math.max(1, total - idle);
  const byFunction = new Map<string, number>();
  const byOrigin = new Map<string, number>();
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    const { functionName, url, lineNumber } = node.callFrame;
    if (hits === 0 || functionName === '(idle)') continue;
    const short = url ? `${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, 'dist/')}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'}${short ? ` ${short}` : ''}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + hits);
    const origin = originOf(url, functionName);
    byOrigin.set(origin, (byOrigin.get(origin) ?? 0) + hits);
  }
  // Inclusive time: walk the call tree from the root, carrying the origins and app functions on the stack.
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const childIds = new Set(profile.nodes.flatMap((node) => node.children ?? []));
  const inclusiveOrigin = new Map<string, number>();
  const inclusiveApp = new Map<string, number>();
  const subtreeHits = new Map<number, number>();
  const hitsBelow = (node: ProfileNode): number => {
    const known = subtreeHits.get(node.id);
    if (known !== undefined) return known;
    let hits = node.callFrame.functionName === '(idle)' ? 0 : (node.hitCount ?? 0);
    for (const child of node.children ?? []) {
      const childNode = byId.get(child);
      if (childNode) hits += hitsBelow(childNode);
    }
    subtreeHits.set(node.id, hits);
    return hits;
  };
  const walk = (node: ProfileNode, origins: ReadonlySet<string>, appFunctions: ReadonlySet<string>): void => {
    const { functionName, url, lineNumber } = node.callFrame;
    const origin = originOf(url, functionName);
    let nextOrigins = origins;
    let nextApp = appFunctions;
    const hits = hitsBelow(node);
    if (!origins.has(origin)) {
      inclusiveOrigin.set(origin, (inclusiveOrigin.get(origin) ?? 0) + hits);
      nextOrigins = new Set([...origins, origin]);
    }
    if (url.includes('/dist/apps/') && functionName) {
      const key = `${functionName} dist:${lineNumber + 1}`;
      if (!appFunctions.has(key)) {
        inclusiveApp.set(key, (inclusiveApp.get(key) ?? 0) + hits);
        nextApp = new Set([...appFunctions, key]);
      }
    }
    for (const child of node.children ?? []) {
      const childNode = byId.get(child);
      if (childNode) walk(childNode, nextOrigins, nextApp);
    }
  };
  for (const root of profile.nodes.filter((node) => !childIds.has(node.id))) walk(root, new Set(['(root)']), new Set());
  inclusiveOrigin.delete('(idle)');

  const rank = (map: Map<string, number>, n: number): HotSpot[] =>
    [...map.entries()]
      .filter(([name, hits]) => hits > 0 && !name.includes('app-probe.preload'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, hits]) => ({ name, selfPercent: Math.round((hits / busy) * 1000) / 10 }));
  return {
    file,
    seconds: Math.round((profile.endTime - profile.startTime) / 1e5) / 10,
    busyPercent: Math.round((busy / total) * 1000) / 10,
    functions: rank(byFunction, top),
    origins: rank(byOrigin, 12),
    inclusiveOrigins: rank(inclusiveOrigin, 15),
    inclusiveAppFunctions: rank(inclusiveApp, 15),
  };
}
