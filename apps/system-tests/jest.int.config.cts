const base = require('../../tools/jest/project-config').intConfig(__dirname, 'system-tests');

module.exports = { ...base, testTimeout: 180_000, slowTestThreshold: 60 };
