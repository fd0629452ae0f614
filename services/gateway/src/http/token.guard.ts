import { CanActivate, ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { DomainError, ErrorCode, QueuePatterns, TokenStatusReply, TokenStatusRequest } from '@concert/contracts';
import { MESSAGE_BUS, MessageBus } from '@concert/bus';
import { AppConfig, CONFIG, JwtCodec, TokenClaims } from '@concert/platform';

export type TokenRequirement = 'active' | 'owner';
export const TOKEN_REQUIREMENT = 'tokenRequirement';
/** `active`: concert, reservation and payment routes; `owner`: wallet routes (sub must equal :userId). */
export const RequireToken = (requirement: TokenRequirement) => SetMetadata(TOKEN_REQUIREMENT, requirement);

/**
 * On `active` routes, also let through a token that ended because its holder paid, for answers already
 * given: a buyer whose payment reply was lost retries it, or reads the reservation they bought.
 */
export const REPLAY_AFTER_PAYMENT = 'replayAfterPayment';
export const AllowReplayAfterPayment = () => SetMetadata(REPLAY_AFTER_PAYMENT, true);

export interface Caller {
  userId: string;
  tokenId: string;
  /** The token ended with a payment (see AllowReplayAfterPayment): nothing new may be done with it. */
  replayOnly: boolean;
}
export type AuthedRequest = FastifyRequest & { caller?: Caller };

export function bearer(header: string | string[] | undefined): string | null {
  if (typeof header !== 'string') return null;
  const match = /^Bearer ([^\s]+)$/i.exec(header.trim());
  return match ? match[1] : null;
}

/** Verifies the queue token (HS256, known to the queue) and applies the route's requirement. */
@Injectable()
export class TokenGuard implements CanActivate {
  private readonly jwt: JwtCodec;

  constructor(
    private readonly reflector: Reflector,
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    @Inject(CONFIG) config: AppConfig,
  ) {
    this.jwt = new JwtCodec(config.jwtSecret);
  }

  verify(header: string | string[] | undefined): TokenClaims {
    const token = bearer(header);
    const claims = token ? this.jwt.verify(token) : null;
    if (!claims) throw new DomainError(ErrorCode.InvalidToken);
    return claims;
  }

  /** What each route asks of its token, read from its decorators once (they never change at run time). */
  private readonly routes = new WeakMap<object, { requirement?: TokenRequirement; replay: boolean }>();

  private route(context: ExecutionContext): { requirement?: TokenRequirement; replay: boolean } {
    const handler = context.getHandler();
    let route = this.routes.get(handler);
    if (!route) {
      route = {
        requirement: this.reflector.getAllAndOverride<TokenRequirement | undefined>(TOKEN_REQUIREMENT, [
          handler,
          context.getClass(),
        ]),
        replay: this.reflector.get<boolean | undefined>(REPLAY_AFTER_PAYMENT, handler) === true,
      };
      this.routes.set(handler, route);
    }
    return route;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const { requirement, replay } = this.route(context);
    if (!requirement) return true;
    const request = context.switchToHttp().getRequest<AuthedRequest>();
    const claims = this.verify(request.headers.authorization);
    const status = await this.bus.request<TokenStatusReply>(QueuePatterns.tokenStatus, {
      tokenId: claims.jti,
      poll: false,
    } satisfies TokenStatusRequest);
    if (!status.known || status.userId !== claims.sub) throw new DomainError(ErrorCode.InvalidToken);
    const replayOnly = requirement === 'active' && status.status !== 'ACTIVE' && status.endedBy === 'PAID' && replay;
    if (requirement === 'active' && status.status !== 'ACTIVE' && !replayOnly) throw new DomainError(ErrorCode.TokenNotActive);
    if (requirement === 'owner') {
      const params = request.params as Record<string, string | undefined>;
      if (params.userId?.toLowerCase() !== claims.sub.toLowerCase())
        throw new DomainError(ErrorCode.Forbidden, 'Token does not belong to this user');
    }
    request.caller = { userId: claims.sub, tokenId: claims.jti, replayOnly };
    return true;
  }
}
