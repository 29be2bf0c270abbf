/**
 * Address parameters per network (Bitcoin Core src/kernel/chainparams.cpp: bech32_hrp and
 * base58Prefixes PUBKEY_ADDRESS / SCRIPT_ADDRESS). testnet3, testnet4 and signet share them.
 */
export type AddressNetwork = 'mainnet' | 'testnet' | 'testnet4' | 'signet' | 'regtest';

export interface AddressParams {
  network: AddressNetwork;
  bech32Hrp: string;
  pubKeyHashPrefix: number;
  scriptHashPrefix: number;
}

export const ADDRESS_PARAMS: Readonly<Record<AddressNetwork, AddressParams>> = Object.freeze({
  mainnet: { network: 'mainnet', bech32Hrp: 'bc', pubKeyHashPrefix: 0x00, scriptHashPrefix: 0x05 },
  testnet: { network: 'testnet', bech32Hrp: 'tb', pubKeyHashPrefix: 0x6f, scriptHashPrefix: 0xc4 },
  testnet4: { network: 'testnet4', bech32Hrp: 'tb', pubKeyHashPrefix: 0x6f, scriptHashPrefix: 0xc4 },
  signet: { network: 'signet', bech32Hrp: 'tb', pubKeyHashPrefix: 0x6f, scriptHashPrefix: 0xc4 },
  regtest: { network: 'regtest', bech32Hrp: 'bcrt', pubKeyHashPrefix: 0x6f, scriptHashPrefix: 0xc4 },
});

// Names other tools use for the same networks (Core's -chain=main/test, "testnet3").
const ALIASES: Readonly<Record<string, AddressNetwork>> = { main: 'mainnet', bitcoin: 'mainnet', test: 'testnet', testnet3: 'testnet' };

export class UnknownNetworkError extends Error {
  override readonly name = 'UnknownNetworkError';
}

export function isAddressNetwork(name: unknown): name is AddressNetwork {
  return typeof name === 'string' && Object.hasOwn(ADDRESS_PARAMS, name);
}

/** Looks up a network by its name or a common alias; throws for anything else. */
export function addressParams(network: string): AddressParams {
  const canonical = isAddressNetwork(network) ? network : ALIASES[network];
  if (canonical === undefined)
    throw new UnknownNetworkError(`unknown network "${network}" (expected one of ${Object.keys(ADDRESS_PARAMS).join(', ')})`);
  return ADDRESS_PARAMS[canonical];
}
