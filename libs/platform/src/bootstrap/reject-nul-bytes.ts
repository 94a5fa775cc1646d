import type { NextFunction, Request, Response } from 'express';

/**
 * Postgres text cannot hold a NUL byte, and no GHL id, path or query of ours contains one. A URL
 * that carries one (`%00`) is refused here with a 400, before a route hands it to a query that
 * would fail with a 500.
 */
export function rejectNulBytes(req: Request, res: Response, next: NextFunction): void {
  const url = req.originalUrl ?? req.url ?? '';
  if (!url.includes('\0') && !/%00/i.test(url)) return next();

  res.status(400).json({
    statusCode: 400,
    error: 'Bad Request',
    message: 'the URL contains a NUL byte',
  });
}
