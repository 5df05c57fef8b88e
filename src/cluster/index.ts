export { CLUSTER_DEFAULTS, type ClusterTimings, clusterTimings } from "./defaults.js";
export { type DaemonLease, type LeaseLossReason, LeaseLostError } from "./lease.js";
export {
  createLeaseKeeper,
  type LeaseKeeper,
  type LeaseKeeperOptions,
  type LeaseKeeperStats,
} from "./lease-keeper.js";
export { createMembership, type Membership, type MembershipOptions } from "./membership.js";
export { NodeIdTakenError, resolveNodeId } from "./node-id.js";
export { type PlacementInput, type PlacementPlan, planPlacement } from "./placement.js";
