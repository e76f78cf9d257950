'use strict';
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  testMatch: ['<rootDir>/__test__/**/*.test.js'],
  // Two cores here and in CI: one test process per core at most.
  maxWorkers: 2,
  testTimeout: 30000,
};
