import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsEmail,
  IsIn,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
  MinLength,
  ValidateNested,
} from 'class-validator';

/** Payloads of POST /webchat/v1/session and the /webchat commands (docs/webchat-protocol.md). A bad one is `Validation`. */

/** Longest resident message, in characters. */
export const WEBCHAT_TEXT_MAX = 2000;
export const WEBCHAT_ATTACHMENTS_MAX = 5;

export class WebchatIdentityDto {
  @ApiProperty({ description: 'The resident’s id on the council’s site', maxLength: 200 })
  @IsString() @IsNotEmpty() @MaxLength(200)
  id: string;

  @ApiProperty({ description: 'hex(HMAC-SHA256(inbox secret, id)), computed by the council’s server' })
  @IsString() @Matches(/^[0-9a-fA-F]{64}$/, { message: 'hash must be 64 hex characters (HMAC-SHA256)' })
  hash: string;

  @ApiPropertyOptional({ maxLength: 100 })
  @IsOptional() @IsString() @MaxLength(100)
  name?: string;

  @ApiPropertyOptional({ maxLength: 320 })
  @IsOptional() @IsEmail({}, { message: 'email must be an email address' }) @MaxLength(320)
  email?: string;
}

export class WebchatSessionDto {
  @ApiProperty({ description: 'The web chat inbox’s public token (the tag’s data-inbox)', maxLength: 200 })
  @IsString() @IsNotEmpty() @MaxLength(200)
  inbox: string;

  @ApiPropertyOptional({ description: 'The token an earlier session gave: renewed when valid' })
  @IsOptional() @IsString() @MaxLength(2000)
  visitorToken?: string;

  @ApiPropertyOptional({ type: WebchatIdentityDto })
  @IsOptional() @IsObject() @ValidateNested() @Type(() => WebchatIdentityDto)
  identity?: WebchatIdentityDto;

  @ApiPropertyOptional({ enum: ['en', 'cy'] })
  @IsOptional() @IsIn(['en', 'cy'], { message: 'lang must be en or cy' })
  lang?: 'en' | 'cy';
}

export class PrechatDto {
  @IsString() @MinLength(1) @MaxLength(100)
  name: string;

  @IsOptional() @IsEmail({}, { message: 'email must be an email address' }) @MaxLength(320)
  email?: string;

  @IsOptional() @IsString() @Matches(/^\+?[0-9 ()-]{7,20}$/, { message: 'phone must be a phone number' })
  phone?: string;

  @IsOptional() @IsUUID('all', { message: 'serviceId must be a service id from the session’s list' })
  serviceId?: string;
}

export class SendDto {
  @IsString() @MaxLength(WEBCHAT_TEXT_MAX, { message: `text must be at most ${WEBCHAT_TEXT_MAX} characters` })
  text: string;

  /** The widget's own id for the message: a repeat (a retry after a lost ack) returns the first result. */
  @IsString() @Matches(/^[A-Za-z0-9._:-]{1,100}$/, { message: 'clientId must be 1 to 100 letters, digits or ._:-' })
  clientId: string;

  @IsOptional() @IsArray() @ArrayMaxSize(WEBCHAT_ATTACHMENTS_MAX) @IsUUID('all', { each: true, message: 'attachmentIds must be ids of uploads' })
  attachmentIds?: string[];
}

export class TypingDto {
  @IsBoolean()
  typing: boolean;
}

export class SeenDto {
  @IsUUID('all', { message: 'messageId must be a message id' })
  messageId: string;
}

export class SyncDto {
  @IsString() @MinLength(1) @MaxLength(500)
  since: string;
}

export class EndDto {
  @IsOptional() @IsBoolean()
  transcript?: boolean;
}
