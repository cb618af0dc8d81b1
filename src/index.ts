/** Entry point of the action's main step: runs it and nothing else. */
import { run } from './action/run.js';

await run();
