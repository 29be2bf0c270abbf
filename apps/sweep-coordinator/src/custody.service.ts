// The custody the signers hold, as the signing-coordinator describes it (after its DKG): the script every sweep
// pays back to, the tweak of its key path, and the keys each signature must verify under.
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { SigningKeys } from '@tapbridge/sweeps';
import { Peers, type CustodyView } from './peers.js';

@Injectable()
export class CustodyService {
  private readonly logger = new Logger('CustodyService');
  private view: CustodyView | undefined;

  constructor(@Inject(Peers) private readonly peers: Peers) {}

  /** The custody view, asked once and kept (the group key changes only with a new DKG, which means a restart). */
  async get(): Promise<CustodyView> {
    if (this.view) return this.view;
    this.view = await this.peers.custody();
    this.logger.log(`custody ${this.view.address} (group key ${this.view.groupKey})`);
    return this.view;
  }

  current(): CustodyView | undefined {
    return this.view;
  }

  async keys(): Promise<SigningKeys> {
    const v = await this.get();
    return { custodyOutputKey: v.outputKey, groupKey: v.groupKey };
  }
}
