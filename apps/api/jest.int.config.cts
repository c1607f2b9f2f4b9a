module.exports = require('../../tools/jest/project-config').intConfig(__dirname, 'api');
