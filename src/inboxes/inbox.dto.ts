import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { InboxConfig } from '../channels/channel-adapter';
import { Channel } from '../common/enum';

/** An inbox as the API shows it: never its token (only a hash is stored), its secret, or other settings. */
export class InboxDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: Channel }) channel: Channel;
  @ApiProperty() name: string;
  @ApiPropertyOptional({ nullable: true, description: 'Phone number, mailbox, page id… where the channel has one' }) address: string | null;
  @ApiProperty({ format: 'uuid', description: 'Where new cases from this inbox go unless triage decides otherwise' }) departmentId: string;
  @ApiPropertyOptional({ nullable: true, description: 'API channel: where replies are POSTed' }) callbackUrl: string | null;
}

/** Copies the safe fields only, so a secret added to settings later can never leak through this list. */
export function toInboxDto(inbox: InboxConfig): InboxDto {
  const callbackUrl = inbox.settings?.callbackUrl;
  return {
    id: inbox.id,
    channel: inbox.channel,
    name: inbox.name,
    address: inbox.address,
    departmentId: inbox.departmentId,
    callbackUrl: typeof callbackUrl === 'string' ? callbackUrl : null,
  };
}
