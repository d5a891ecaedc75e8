/** What the demo launcher and the integration tests start: the config loader and the server. */
export { loadConfig, type Config } from './config.js';
export { startServer, type RunningServer } from './server.js';
