// The custody derivation lives in packages/signing (written once; every signer checks sweeps against it).
export { custodyFor, type Custody, type CustodySettings } from '@tapbridge/signing';
