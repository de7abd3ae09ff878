// cluster-key-slot (the slot function ioredis routes Cluster commands with) ships no types.
declare module 'cluster-key-slot' {
  /** The Redis Cluster hash slot (0–16383) of a key, honouring a {hash tag}. */
  function calculateSlot(key: string): number;
  export default calculateSlot;
}
