import { readFileSync } from 'node:fs';
import path from 'node:path';
import { RECOMMENDED_POSTGRES_SETTINGS } from './postgres-settings';

describe('RECOMMENDED_POSTGRES_SETTINGS', () => {
  it('is what docker-compose.yml gives its postgres service, setting for setting', () => {
    const compose = readFileSync(path.resolve(__dirname, '../../../../docker-compose.yml'), 'utf8');
    const command = /command:\s*\['postgres', ([^\]]*)\]/.exec(compose.slice(compose.indexOf('\n  postgres:')))?.[1];
    expect(command).toBeDefined();
    const flags = [...(command ?? '').matchAll(/'-c', '([a-z_]+)=([^']*)'/g)].map(([, name, value]) => [name, value]);
    expect(Object.fromEntries(flags)).toEqual(RECOMMENDED_POSTGRES_SETTINGS);
  });
});
