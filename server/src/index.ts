/** The server's public surface, for the demo launcher and the integration tests. */
export { loadConfig, CONFIG_VARIABLES, type Config } from './config.js';
export { createApp, type AppDeps } from './app.js';
export { startServer, type RunningServer } from './server.js';
export { createMlflowClient, basicAuth, type MlflowClient } from './mlflow/client.js';
export { createSessionStore } from './auth/session-store.js';
