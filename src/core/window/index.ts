/** Maintenance windows, the pure part: expectation, classification, plan, verdicts. */
export * from './expectation.js';
export * from './classify.js';
export * from './plan.js';
export * from './verdict.js';
export * from './summary.js';
