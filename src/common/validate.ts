import { ClassConstructor, plainToInstance } from 'class-transformer';
import { ValidationError, validateSync } from 'class-validator';
import { HubError } from './errors';
import { withoutNul } from './nul';

/**
 * Validates a plain object into a DTO; a failure is a Validation error naming every bad field. NUL characters are
 * dropped first (PostgreSQL cannot store them; see withoutNul).
 */
export function validateDto<T extends object>(cls: ClassConstructor<T>, plain: unknown, what = 'body'): T {
  if (plain === null || typeof plain !== 'object' || Array.isArray(plain)) {
    throw HubError.validation(`The ${what} must be a JSON object`);
  }
  const dto = plainToInstance(cls, withoutNul(plain));
  const errors = validateSync(dto, { whitelist: true, forbidUnknownValues: true });
  if (errors.length) {
    const problems = flatten(errors);
    throw HubError.validation(problems.map((p) => `${p.field}: ${p.problem}`).join('; '), { fields: problems });
  }
  return dto;
}

export function flatten(errors: ValidationError[], prefix = ''): Array<{ field: string; problem: string }> {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((problem) => ({ field, problem }));
    return [...own, ...flatten(e.children ?? [], field)];
  });
}
