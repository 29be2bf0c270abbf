// Thin typed wrapper over solc-js standard JSON, shared by the contract build step and the tests.
import solc from 'solc';

export interface CompiledContract {
  abi: unknown[];
  /** Creation code, 0x-prefixed. */
  bytecode: `0x${string}`;
  /** Runtime code as it sits in state, 0x-prefixed. */
  deployedBytecode: `0x${string}`;
  compilerVersion: string;
}

/** Fixed settings: the artifact must be reproducible byte for byte, so nothing here may depend on the machine. */
export const SOLC_SETTINGS = {
  evmVersion: 'cancun',
  optimizer: { enabled: true, runs: 200 },
} as const;

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts?: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>>;
}

export function compileSolidity(fileName: string, source: string, contractName: string): CompiledContract {
  const input = {
    language: 'Solidity',
    sources: { [fileName]: { content: source } },
    settings: {
      ...SOLC_SETTINGS,
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input)) as string) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) throw new Error(`solc failed:\n${errors.map((e) => e.formattedMessage).join('\n')}`);
  const contract = output.contracts?.[fileName]?.[contractName];
  if (contract === undefined) throw new Error(`solc output has no contract ${contractName} in ${fileName}`);
  return {
    abi: contract.abi,
    bytecode: `0x${contract.evm.bytecode.object}`,
    deployedBytecode: `0x${contract.evm.deployedBytecode.object}`,
    compilerVersion: solc.version() as string,
  };
}
