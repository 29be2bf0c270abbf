export { Group } from '../src/testing/index.js';
