import type { NextFunction, Request, Response } from 'express';

/**
 * Set only by the test kit's `startServiceProcess`, never in a deployment: a random id the
 * started service echoes on every response, so that the kit knows its health check was answered
 * by the process it started and not by another server that holds the port on a shared machine.
 */
export const INSTANCE_ID_ENV = 'SM_TEST_INSTANCE_ID';
export const INSTANCE_ID_HEADER = 'x-sm-test-instance';

/** The middleware that echoes the id, or undefined when none was given (every deployment). */
export function instanceIdentity(
  instanceId: string | undefined,
): ((req: Request, res: Response, next: NextFunction) => void) | undefined {
  if (!instanceId) return undefined;

  return (_req, res, next) => {
    res.setHeader(INSTANCE_ID_HEADER, instanceId);
    next();
  };
}
