/** Partitions: how a dataset is split among simulated clients. */
export { partition, type PartitionOptions } from './partition';
export { createFederatedData, type FederatedData, type PartitionScheme, type PartitionSummary } from './federated-data';
export { iidPartition } from './iid';
export { shardPartition } from './shards';
export { dirichletPartition, type DirichletOptions, type DirichletReport } from './dirichlet';
export { naturalPartition, distinctGroups } from './natural';
export { labelHistogram } from './histogram';
