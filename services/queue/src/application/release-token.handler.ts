import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { TokenExpiryReason } from '@concert/contracts';
import { EventRef, rethrowRequiredEventMissing } from '@concert/event-store';
import { QueueRuntime } from './queue.runtime';

/**
 * The booking saga's last step: a buyer who paid leaves, and the next in line gets the slot. The
 * answer comes once the token has ended; the admission it makes room for runs right after, off the
 * payer's path (the sweeper retries it if it fails).
 */
export class ReleaseTokenCommand {
  constructor(
    readonly userId: string,
    readonly reason: TokenExpiryReason,
    /** End the token only if this event is stored: see ReleaseTokenRequest.after. */
    readonly after?: EventRef,
  ) {}
}

@CommandHandler(ReleaseTokenCommand)
export class ReleaseTokenHandler implements ICommandHandler<ReleaseTokenCommand, { released: boolean }> {
  constructor(private readonly runtime: QueueRuntime) {}

  async execute({ userId, reason, after }: ReleaseTokenCommand): Promise<{ released: boolean }> {
    await this.runtime.catchUp();
    const record = this.runtime.line.latestOf(userId.toLowerCase());
    // Only an admitted token holds a slot: a WAITING one is a newer token the user took after paying.
    if (!record || record.status !== 'ACTIVE') return { released: false };
    await this.runtime.expire(record.userId, record.tokenId, reason, after).catch(rethrowRequiredEventMissing);
    this.runtime.admitSoon();
    return { released: true };
  }
}
