export { signerConfig } from './config.js';
