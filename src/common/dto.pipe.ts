import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { validateDto } from './validate';

const PLAIN = new Set<unknown>([String, Number, Boolean, Object, Array]);

/**
 * Validates a @Body() or @Query() into its DTO class with validateDto, so bad input is a HubError Validation
 * (400 naming each field) like everywhere else. Usage: `@Body(DtoPipe) dto: SomeDto`.
 */
@Injectable()
export class DtoPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    const cls = metadata.metatype;
    if (!cls || PLAIN.has(cls) || (metadata.type !== 'body' && metadata.type !== 'query')) return value;
    return validateDto(cls as new () => object, value ?? {}, metadata.type === 'query' ? 'query string' : 'body');
  }
}

/**
 * Validates a socket command's payload into its DTO class (`@MessageBody(PayloadPipe)`, on /console and /webchat):
 * a bad one is a HubError Validation, which the namespace's exception filter turns into its ack.
 */
@Injectable()
export class PayloadPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    const cls = metadata.metatype;
    if (!cls || cls === Object) return value;
    return validateDto(cls as new () => object, value ?? {}, 'payload');
  }
}
