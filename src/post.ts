import { postStep } from './action/docker-login.js';

await postStep();
