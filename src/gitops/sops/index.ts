/** SOPS v3 encryption of YAML for age recipients, in the format `sops -d` and Flux kustomize-controller read (docs/sops.md). */
export type { CryptRule } from './rules.js';
export { encryptYaml, type EncryptOptions } from './encrypt.js';
export { decryptYaml, type DecryptOptions } from './decrypt.js';
export { generateAgeKeyPair, isValidAgeRecipient, parseAgeIdentities } from './age.js';
export { SOPS_FORMAT_VERSION } from './metadata.js';
export {
  findCreationRule,
  parseSopsConfig,
  findSopsConfig,
  resolveCreationRule,
  selectCreationRule,
  SOPS_CONFIG_FILE,
  type FoundSopsConfig,
  type SelectedCreationRule,
  type SopsConfig,
  type SopsCreationRule,
} from './config.js';
