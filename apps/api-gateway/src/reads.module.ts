import { Module } from '@nestjs/common';
import { ReadsController } from './reads.controller.js';
import { Reads } from './reads.service.js';
import { Upstream } from './upstream.js';

/** The read API: every answer comes from the owning service over rpc.*. */
@Module({ providers: [Upstream, Reads], controllers: [ReadsController], exports: [Reads] })
export class ReadsModule {}
