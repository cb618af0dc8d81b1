/** Entry point of the action's post step (docker logout): runs it and nothing else. */
import { postStep } from './action/docker-login.js';

await postStep();
