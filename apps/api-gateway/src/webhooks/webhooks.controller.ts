import { Body, Controller, Delete, Get, Inject, Param, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { ApiKeyInfo } from '@tapbridge/runtime';
import { RequireScope, ZodResponse, createZodDto } from '@tapbridge/runtime/nest';
import { z } from 'zod';
import { CreatedWebhookDto, CreateWebhookDto, DeliveryListDto, WebhookDto, webhookView, WebhookParams } from '../dto.js';
import { Webhooks, type Caller } from './webhooks.service.js';

export const WEBHOOKS_SCOPE = 'webhooks:manage';

class WebhookListDto extends createZodDto(z.object({ webhooks: z.array(webhookView) }).meta({ example: { webhooks: [] } })) {}

/** The key ApiKeyGuard checked (RequireScope runs it before the handler). */
function caller(req: { apiKey?: ApiKeyInfo }): Caller {
  const key = req.apiKey!;
  return { keyId: key.id, admin: key.scopes.includes('*') };
}

@ApiTags('webhooks')
@Controller('v1/webhooks')
@RequireScope(WEBHOOKS_SCOPE)
export class WebhooksController {
  constructor(@Inject(Webhooks) private readonly webhooks: Webhooks) {}

  @Post()
  @ApiOperation({ summary: 'Subscribe a URL to deposit and withdrawal status changes; the answer carries the signing secret, once' })
  @ZodResponse({ status: 201, type: CreatedWebhookDto })
  create(@Req() req: { apiKey?: ApiKeyInfo }, @Body() body: CreateWebhookDto) {
    return this.webhooks.create(caller(req), body);
  }

  @Get()
  @ApiOperation({ summary: 'The webhooks of this API key' })
  @ZodResponse({ status: 200, type: WebhookListDto })
  list(@Req() req: { apiKey?: ApiKeyInfo }) {
    return this.webhooks.list(caller(req));
  }

  @Get(':id')
  @ApiOperation({ summary: 'One webhook' })
  @ZodResponse({ status: 200, type: WebhookDto })
  get(@Req() req: { apiKey?: ApiKeyInfo }, @Param() p: WebhookParams) {
    return this.webhooks.get(caller(req), p.id);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Stop a webhook (pending deliveries are dropped)' })
  @ZodResponse({ status: 200, type: WebhookDto })
  revoke(@Req() req: { apiKey?: ApiKeyInfo }, @Param() p: WebhookParams) {
    return this.webhooks.revoke(caller(req), p.id);
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: 'Recent deliveries with every attempt: when, how long, the status code or error' })
  @ZodResponse({ status: 200, type: DeliveryListDto })
  deliveries(@Req() req: { apiKey?: ApiKeyInfo }, @Param() p: WebhookParams) {
    return this.webhooks.deliveries(caller(req), p.id);
  }
}
