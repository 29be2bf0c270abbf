import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../src/bytes.js';
import { AddressError, addressToOutputScript, decodeSegwitAddress, encodeSegwitAddress, outputScriptToAddress } from '../src/address.js';
import { addressParams, UnknownNetworkError } from '../src/networks-address.js';
import { classifyOutputScript } from '../src/scripts/output-script.js';
import { sharedPath } from '@tapbridge/testing';

const bip350File = sharedPath('bitcoin-data/vectors/bip350-address-vectors.json');
const networksFile = sharedPath('bitcoin-data/networks.json');

interface Bip350 {
  validSegwitAddresses: { address: string; scriptPubKey: string }[];
  invalidSegwitAddresses: { address: string; reason: string }[];
}

// BIP350's stated reason for each invalid address, mapped to the reason this decoder reports.
const EXPECTED_REASON: Record<string, string> = {
  'Invalid human-readable part': 'hrp',
  'Invalid checksum (Bech32 instead of Bech32m)': 'checksum-variant',
  'Invalid checksum (Bech32m instead of Bech32)': 'checksum-variant',
  'Invalid character in checksum': 'checksum',
  'Invalid witness version': 'witness-version',
  'Invalid program length (1 byte)': 'program-length',
  'Invalid program length (41 bytes)': 'program-length',
  'Invalid program length for witness version 0 (per BIP141)': 'program-length',
  'Mixed case': 'mixed-case',
  'zero padding of more than 4 bits': 'padding',
  'Non-zero padding in 8-to-5 conversion': 'padding',
  'Empty data section': 'empty-data',
};

describe.skipIf(!fs.existsSync(bip350File))('BIP350 address vectors (needs ../shared/bitcoin-data)', () => {
  const v = fs.existsSync(bip350File) ? (JSON.parse(fs.readFileSync(bip350File, 'utf8')) as Bip350) : { validSegwitAddresses: [], invalidSegwitAddresses: [] };

  it.each(v.validSegwitAddresses)('decodes and re-encodes $address', ({ address, scriptPubKey }) => {
    const hrp = address.toLowerCase().slice(0, address.lastIndexOf('1'));
    const d = decodeSegwitAddress(address, hrp);
    const spk = hexToBytes(scriptPubKey);
    expect(d.version).toBe(spk[0] === 0 ? 0 : spk[0]! - 0x50);
    expect(bytesToHex(d.program)).toBe(scriptPubKey.slice(4));
    expect(encodeSegwitAddress(hrp, d.version, d.program)).toBe(address.toLowerCase());
  });

  it.each(v.invalidSegwitAddresses)('rejects $address ($reason)', ({ address, reason }) => {
    // Decode against the prefix a wallet on that network would expect; "tc" is valid for none of them.
    const expectedHrp = address.toLowerCase().startsWith('tb') || address.toLowerCase().startsWith('tc') ? 'tb' : 'bc';
    let err: unknown;
    try {
      decodeSegwitAddress(address, expectedHrp);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AddressError);
    expect((err as AddressError).reason).toBe(EXPECTED_REASON[reason]);
  });
});

describe('output scripts and addresses', () => {
  const cases: [string, string, string, string][] = [
    // [network, address, scriptPubKey, type]: the P2PKH/P2SH ones are Satoshi's and BIP13's well-known examples.
    ['mainnet', '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa', '76a91462e907b15cbf27d5425399ebf6f0fb50ebb88f1888ac', 'p2pkh'],
    ['mainnet', '3P14159f73E4gFr7JterCCQh9QjiTjiZrG', 'a914e9c3dd0c07aac76179ebc76a6c78d4d67c6c160a87', 'p2sh'],
    ['mainnet', 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', '0014751e76e8199196d454941c45d1b3a323f1433bd6', 'p2wpkh'],
    ['testnet', 'tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7', '00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262', 'p2wsh'],
    ['mainnet', 'bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0', '512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798', 'p2tr'],
  ];
  it.each(cases)('%s %s ↔ %s', (network, address, spk, type) => {
    expect(bytesToHex(addressToOutputScript(address, network))).toBe(spk);
    expect(outputScriptToAddress(hexToBytes(spk), network)).toBe(address);
    expect(classifyOutputScript(hexToBytes(spk)).type).toBe(type);
  });

  it('uses each network’s prefix and rejects another network’s address', () => {
    const program = hexToBytes('79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798');
    const spk = Uint8Array.of(0x51, 0x20, ...program);
    expect(outputScriptToAddress(spk, 'regtest')!.startsWith('bcrt1p')).toBe(true);
    expect(outputScriptToAddress(spk, 'testnet4')!.startsWith('tb1p')).toBe(true);
    expect(outputScriptToAddress(spk, 'signet')!.startsWith('tb1p')).toBe(true);
    const mainnetAddr = outputScriptToAddress(spk, 'mainnet')!;
    expect(() => addressToOutputScript(mainnetAddr, 'regtest')).toThrow(/human-readable part "bc" is not "bcrt"/);
    expect(() => addressToOutputScript('1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa', 'testnet')).toThrow(/version byte/);
    expect(() => addressParams('litecoin')).toThrow(UnknownNetworkError);
    expect(addressParams('testnet3').bech32Hrp).toBe('tb');
  });

  it('classifies OP_RETURN and nonstandard scripts, which have no address', () => {
    const opReturn = hexToBytes('6a14' + '11'.repeat(20));
    expect(classifyOutputScript(opReturn).type).toBe('op_return');
    expect(outputScriptToAddress(opReturn, 'mainnet')).toBeUndefined();
    expect(classifyOutputScript(hexToBytes('0015' + '00'.repeat(21))).type).toBe('nonstandard');
    expect(classifyOutputScript(hexToBytes('5102abcd')).type).toBe('witness_unknown');
  });
});

describe.skipIf(!fs.existsSync(networksFile))('network prefixes match ../shared/bitcoin-data/networks.json (needs ../shared/bitcoin-data)', () => {
  it('bech32 hrp per network', () => {
    const n = (JSON.parse(fs.readFileSync(networksFile, 'utf8')) as { networks: Record<string, { bech32Hrp: string }> }).networks;
    expect(addressParams('mainnet').bech32Hrp).toBe(n.mainnet!.bech32Hrp);
    expect(addressParams('testnet').bech32Hrp).toBe(n.testnet3!.bech32Hrp);
    expect(addressParams('testnet4').bech32Hrp).toBe(n.testnet4!.bech32Hrp);
    expect(addressParams('signet').bech32Hrp).toBe(n.signet!.bech32Hrp);
    expect(addressParams('regtest').bech32Hrp).toBe(n.regtest!.bech32Hrp);
  });
});
