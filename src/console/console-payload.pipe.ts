import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { validateDto } from '../common/validate';

/** Validates a command's payload into its DTO class (`@MessageBody(ConsolePayloadPipe)`): a bad one is `Validation`. */
@Injectable()
export class ConsolePayloadPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    const cls = metadata.metatype;
    if (!cls || cls === Object) return value;
    return validateDto(cls as new () => object, value ?? {}, 'payload');
  }
}
