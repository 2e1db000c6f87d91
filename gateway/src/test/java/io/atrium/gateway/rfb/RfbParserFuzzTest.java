package io.atrium.gateway.rfb;

import static org.assertj.core.api.Assertions.assertThat;

import io.atrium.gateway.ClipboardPolicy;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * Fuzzing of both parsers with jqwik. Each try is one execution: a stream fed in random chunks. The properties hold
 * for every try: valid streams pass unchanged however they are chunked; mutated and random streams end in success or
 * an {@link RfbProtocolException}, never in another exception (a crash). The number of tries comes from
 * {@code jqwik.tries.default} (short in CI, {@code src/test/resources/junit-platform.properties}; the benchmark
 * {@code gateway/bench/fuzz.sh} runs millions).
 */
class RfbParserFuzzTest {

    static final AtomicLong EXECUTIONS = new AtomicLong();
    static final AtomicLong CRASHES = new AtomicLong();
    static final AtomicLong BYTES = new AtomicLong();
    static final long STARTED = System.nanoTime();

    @Provide
    Arbitrary<Long> seeds() {
        return Arbitraries.longs();
    }

    @Property
    void validClientStreamsPassUnchangedInAnyChunking(@ForAll("seeds") long seed) throws Exception {
        Random r = new Random(seed);
        byte[] stream = RfbStreams.clientSession(r, 1 + r.nextInt(40));
        ClientStreamParser p = new RfbSession(ClipboardPolicy.both(ClipboardPolicy.MAX_BYTES)).clientParser(t -> { });
        passesUnchanged(p, stream, r, 300);
    }

    @Property
    void validServerStreamsPassUnchangedInAnyChunking(@ForAll("seeds") long seed) throws Exception {
        Random r = new Random(seed);
        byte[] stream = RfbStreams.serverSession(r, 1 + r.nextInt(40));
        ServerStreamParser p = serverParser(ClipboardPolicy.both(ClipboardPolicy.MAX_BYTES));
        passesUnchanged(p, stream, r, 3000);
    }

    @Property
    void mutatedClientStreamsNeverCrashTheParser(@ForAll("seeds") long seed) {
        Random r = new Random(seed);
        byte[] stream = RfbStreams.mutate(RfbStreams.clientSession(r, 1 + r.nextInt(40)), r);
        ClipboardPolicy policy = new ClipboardPolicy(r.nextBoolean(), r.nextBoolean(), r.nextInt(1000));
        feedExpectingNoCrash(new RfbSession(policy).clientParser(t -> { }), stream, r);
    }

    @Property
    void mutatedServerStreamsNeverCrashTheParser(@ForAll("seeds") long seed) {
        Random r = new Random(seed);
        byte[] stream = RfbStreams.mutate(RfbStreams.serverSession(r, 1 + r.nextInt(40)), r);
        ClipboardPolicy policy = new ClipboardPolicy(r.nextBoolean(), r.nextBoolean(), r.nextInt(1000));
        feedExpectingNoCrash(serverParser(policy), stream, r);
    }

    @Property
    void randomBytesNeverCrashEitherParser(@ForAll("seeds") long seed) {
        Random r = new Random(seed);
        byte[] prefix = r.nextBoolean() ? RfbStreams.clientSession(r, 0) : new byte[0];
        byte[] stream = RfbStreams.concat(prefix, RfbStreams.randomBytes(r, r.nextInt(2000)));
        feedExpectingNoCrash(new RfbSession(ClipboardPolicy.both(100)).clientParser(t -> { }), stream, r);
        byte[] serverPrefix = r.nextBoolean() ? RfbStreams.serverSession(r, 0) : new byte[0];
        feedExpectingNoCrash(serverParser(ClipboardPolicy.both(100)),
                RfbStreams.concat(serverPrefix, RfbStreams.randomBytes(r, r.nextInt(2000))), r);
    }

    private static void passesUnchanged(RfbStreamParser p, byte[] stream, Random r, int maxChunk) throws Exception {
        try {
            assertThat(RfbStreams.feedInChunks(p, stream, r, 1 + r.nextInt(maxChunk))).isEqualTo(stream);
            assertThat(p.atBoundary()).isTrue();
        } catch (RuntimeException | Error | RfbProtocolException crash) {
            CRASHES.incrementAndGet();
            throw crash;
        }
        count(stream);
    }

    private static ServerStreamParser serverParser(ClipboardPolicy policy) {
        RfbSession session = new RfbSession(policy);
        session.clientMinor(8);
        session.securityType(1);
        return session.serverParser(t -> { });
    }

    private static void feedExpectingNoCrash(RfbStreamParser parser, byte[] stream, Random r) {
        try {
            RfbStreams.feedInChunks(parser, stream, r, 1 + r.nextInt(500));
        } catch (RfbProtocolException expected) {
            // refused: the connection would close
        } catch (RuntimeException | Error crash) {
            CRASHES.incrementAndGet();
            throw crash;
        }
        count(stream);
    }

    private static void count(byte[] stream) {
        EXECUTIONS.incrementAndGet();
        BYTES.addAndGet(stream.length);
    }

    @AfterContainer
    static void report() {
        double seconds = (System.nanoTime() - STARTED) / 1e9;
        System.out.printf("rfb-fuzz: executions=%d bytes=%d seconds=%.1f executions/s=%.0f crashes=%d%n",
                EXECUTIONS.get(), BYTES.get(), seconds, EXECUTIONS.get() / seconds, CRASHES.get());
    }
}
