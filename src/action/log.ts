/** The runner's log as a Logger: notices, warnings and errors become annotations. */
import * as core from '@actions/core';
import type { Logger } from '../runtime.js';

export const actionsLogger: Logger = {
  debug: (message) => core.debug(message),
  info: (message) => core.info(message),
  notice: (message) => core.notice(message),
  warning: (message) => core.warning(message),
  error: (message) => core.error(message),
};
