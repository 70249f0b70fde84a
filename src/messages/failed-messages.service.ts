import { Injectable } from '@nestjs/common';
import type { Actor } from '../auth/actor';
import { FailedMessagePageDto, MessageDto, PageQueryDto, toMessageDto } from '../cases/case-query.dto';
import { CaseQueryService } from '../cases/case-query.service';
import { HubError } from '../common/errors';
import { DeliveryService } from '../delivery/delivery.service';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Dead letters: outbound messages that failed for good, listed for supervisors and re-sent for real on request. */
@Injectable()
export class FailedMessagesService {
  constructor(
    private readonly caseQueries: CaseQueryService,
    private readonly delivery: DeliveryService,
  ) {}

  list(actor: Actor, query: PageQueryDto): Promise<FailedMessagePageDto> {
    return this.caseQueries.failedMessages(actor, query);
  }

  /**
   * A fresh round of delivery attempts for a failed message on a case the actor may see, by the rules of replying
   * (DeliveryService.resend): not on a closed case, and among agents only by the case's owner.
   */
  async retry(actor: Actor, messageId: string): Promise<MessageDto> {
    if (!UUID.test(messageId)) throw HubError.notFound('Message', messageId);
    return toMessageDto(await this.delivery.resend(messageId, actor));
  }
}
