module.exports = require('../../tools/jest/project-config').unitConfig(__dirname, 'tracing');
