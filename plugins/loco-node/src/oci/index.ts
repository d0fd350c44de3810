export { RegistryClient, type RegistryClientOptions } from './RegistryClient';
export {
  registryCredentialsSchema,
  type RegistryCredentials,
} from './registryAuth';
export { downloadBlob, readBlob, type TransferProgress } from './blobDownload';
export { uploadBlob, describeBlob, type BlobSource } from './blobUpload';
export { OciError, OciDigestError } from './ociErrors';
export { parseRepository, type OciRepository } from './reference';
export * from './manifest';
export * from './snapshotArtifact';
export { credentialsFromDockerConfig } from './dockerConfig';
