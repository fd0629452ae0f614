import { AssignerProtocol, PartitionAssigner } from 'kafkajs';

const NAME = 'SingleOwnerAssigner';
const OWNER = Buffer.from('owner');
const STANDBY = Buffer.from('standby');

/**
 * A partition assignor that gives every partition to one member of the group; the others stand by
 * and take over at the next rebalance when it leaves or dies. For consumers that must be the only
 * writer of what they write (documents fed by several partitions). The owner says so when it joins
 * again, and keeps the partitions through rebalances.
 */
export class SingleOwnerAssignment {
  private owning = false;

  readonly assigner: PartitionAssigner = ({ cluster }) => ({
    name: NAME,
    version: 1,
    assign: async ({ members, topics }) => {
      const sorted = [...members].sort((a, b) => a.memberId.localeCompare(b.memberId));
      const incumbent = sorted.find((m) => AssignerProtocol.MemberMetadata.decode(m.memberMetadata)?.userData?.equals(OWNER));
      const owner = (incumbent ?? sorted[0]).memberId;
      const all = Object.fromEntries(topics.map((t) => [t, cluster.findTopicPartitionMetadata(t).map((p) => p.partitionId)]));
      return members.map(({ memberId }) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 1,
          assignment: memberId === owner ? all : {},
          userData: Buffer.alloc(0),
        }),
      }));
    },
    protocol: ({ topics }) => ({
      name: NAME,
      metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: this.owning ? OWNER : STANDBY }),
    }),
  });

  /** After each join: does this member own the partitions now? */
  joined(memberAssignment: Record<string, number[]>): void {
    this.owning = Object.values(memberAssignment).some((partitions) => partitions.length > 0);
  }

  get isOwner(): boolean {
    return this.owning;
  }
}
