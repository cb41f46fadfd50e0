package io.aphelion.server.ack;

import java.util.ArrayList;
import java.util.List;

import io.aphelion.wire.CloseCodes;
import io.aphelion.wire.ProtocolViolationException;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AckTrackerTest {

    static final class Message implements AckTracker.Timestamped {
        final String name;
        long sentAt;

        Message(String name) {
            this.name = name;
        }

        @Override
        public void sentAtNanos(long nanos) {
            sentAt = nanos;
        }

        @Override
        public long sentAtNanos() {
            return sentAt;
        }
    }

    private final AckTracker<Message> tracker = new AckTracker<>();
    private final List<String> released = new ArrayList<>();

    @Test
    void countsAreSpreadOverSeveralAcksOfAtMost127() {
        for (int i = 0; i < 300; i++) {
            tracker.received();
        }
        assertThat(tracker.takeAck()).isEqualTo(127);
        assertThat(tracker.takeAck()).isEqualTo(127);
        assertThat(tracker.takeAck()).isEqualTo(46);
        assertThat(tracker.takeAck()).isZero();
        assertThat(tracker.ackPending()).isFalse();
    }

    @Test
    void messagesSentUnretainedAreOnlyCounted() {
        assertThat(tracker.sent(new Message("a"), 10, false)).isFalse();
        assertThat(tracker.sent(new Message("b"), 20, false)).isFalse();
        assertThat(tracker.outstanding()).isEqualTo(2);
        assertThat(tracker.retained()).isZero();
        assertThat(tracker.oldestSentAtNanos()).isEqualTo(AckTracker.NONE);
    }

    @Test
    void aNegativeClockReadingIsATimestampLikeAnyOther() {
        tracker.sent(new Message("a"), -5_000, true);
        assertThat(tracker.oldestSentAtNanos()).isEqualTo(-5_000);
        assertThat(tracker.acked(1, -1_000, message -> released.add(message.name))).isEqualTo(4_000);
    }

    @Test
    void retainedMessagesStayUntilAcked() {
        assertThat(tracker.sent(new Message("a"), 100, true)).isTrue();
        assertThat(tracker.sent(new Message("b"), 200, true)).isTrue();
        assertThat(tracker.oldestSentAtNanos()).isEqualTo(100);
        long rtt = tracker.acked(1, 150, message -> released.add(message.name));
        assertThat(released).containsExactly("a");
        assertThat(rtt).isEqualTo(50);
        assertThat(tracker.smoothedRttNanos()).isEqualTo(50);
        assertThat(tracker.drain()).extracting(message -> message.name).containsExactly("b");
        assertThat(tracker.outstanding()).isZero();
    }

    @Test
    void ackCoversUntrackedPacketsFirst() {
        tracker.sent(new Message("u1"), 0, false);
        tracker.sent(new Message("u2"), 0, false);
        tracker.acked(1, 0, message -> released.add(message.name));
        tracker.sent(new Message("a"), 10, true);
        tracker.acked(2, 20, message -> released.add(message.name));
        assertThat(released).containsExactly("a");
        assertThat(tracker.outstanding()).isZero();
    }

    @Test
    void forgettingRetainedReleasesThemButKeepsThemOutstanding() {
        tracker.sent(new Message("a"), 10, true);
        tracker.sent(new Message("b"), 20, true);

        tracker.forgetRetained(message -> released.add(message.name));

        assertThat(released).containsExactly("a", "b");
        assertThat(tracker.retained()).isZero();
        assertThat(tracker.outstanding()).isEqualTo(2);
        // The client's late ack of both is still valid, and releases nothing twice.
        tracker.acked(2, 30, message -> released.add("again " + message.name));
        assertThat(released).containsExactly("a", "b");
        assertThat(tracker.outstanding()).isZero();
    }

    @Test
    void ackLargerThanOutstandingIsAProtocolError() {
        tracker.sent(new Message("a"), 0, true);
        assertThatThrownBy(() -> tracker.acked(2, 0, message -> { }))
                .isInstanceOfSatisfying(ProtocolViolationException.class,
                        ex -> assertThat(ex.closeCode()).isEqualTo(CloseCodes.PROTOCOL_ERROR))
                .hasMessageContaining("Ack 2 exceeds the 1 unacked");
    }

    @Test
    void aTrackerThatNeverRetainedDrainsNothingAndRetainsOnceAsked() {
        tracker.sent(new Message("a"), 0, false);
        assertThat(tracker.retained()).isZero();
        assertThat(tracker.oldestSentAtNanos()).isEqualTo(AckTracker.NONE);
        tracker.forgetRetained(message -> released.add(message.name));
        assertThat(tracker.outstanding()).isEqualTo(1);
        tracker.acked(1, 5, message -> released.add(message.name));
        tracker.sent(new Message("b"), 7, true);
        assertThat(tracker.oldestSentAtNanos()).isEqualTo(7);
        assertThat(tracker.drain()).extracting(message -> message.name).containsExactly("b");
        assertThat(tracker.drain()).isEmpty();
        assertThat(released).isEmpty();
    }

    @Test
    void zeroAckChangesNothing() {
        tracker.sent(new Message("a"), 0, true);
        assertThat(tracker.acked(0, 0, message -> { })).isEqualTo(-1);
        assertThat(tracker.retained()).isEqualTo(1);
    }
}
