/** Maintenance windows, the I/O edge: persistence and the plan/start/verify/finish workflow. */
export { WindowError, type WindowErrorCode } from './errors.js';
export { loadExpectationFile, parseExpectationText } from './expectation-file.js';
export {
  compiledRulesOf,
  openSession,
  withReadonlyWindows,
  withSession,
  withWritableWindows,
  type AuditContext,
  type WindowSession,
} from './session.js';
export { planWindow, renderPlan, type WindowPlan } from './plan.js';
export { startWindow, type StartOptions } from './start.js';
export { verifyNode, renderVerify, type VerifyResult } from './verify.js';
export { abortWindow, finishWindow, windowStatus, renderFinish, renderStatus, type FinishResult, type WindowStatus } from './finish.js';
export {
  windowViews,
  readWindowViews,
  readOpenWindowContexts,
  windowContextOf,
  type WindowSource,
  CLOSED_WINDOW_VISIBLE_MS,
} from './views.js';
export { WindowStore, WindowStoreError, type WindowRecord, type VerificationRecord } from '../store/windows.js';
export { CRM_MON_COMMAND, locateResources, parseResourceLocations, type ResourceLocation, type RunningResource } from './resources.js';
