/** A channel rule was broken: bad parameters, a state that does not follow, a signature or secret that does not check. */
export class ChannelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChannelError';
  }
}

/** The channel policy (what a custody signer runs) refused to sign. */
export class ChannelPolicyError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'ChannelPolicyError';
  }
}
