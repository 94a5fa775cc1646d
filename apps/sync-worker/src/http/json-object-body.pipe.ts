import { BadRequestException, Injectable, PipeTransform } from '@nestjs/common';

/**
 * A write route's body: a JSON object, or a 400 saying so. Without `content-type:
 * application/json` (or with no body at all) Express leaves the body undefined, and a route
 * that went on would store nothing, or fail in the database.
 */
@Injectable()
export class JsonObjectBodyPipe implements PipeTransform<unknown, Record<string, unknown>> {
  transform(body: unknown): Record<string, unknown> {
    const isObject = body !== null && typeof body === 'object' && !Array.isArray(body);
    if (!isObject) {
      throw new BadRequestException([
        'body must be a JSON object, sent with content-type: application/json',
      ]);
    }

    return body as Record<string, unknown>;
  }
}
