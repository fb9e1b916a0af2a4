package dev.mtl.core.engine;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Lets SIGTERM and Ctrl-C stop native engine work at a safe point instead of mid-operation.
 *
 * <p>On a signal the JVM runs its shutdown hooks and then exits, and exiting tears down the
 * native libraries (libtorch, oneDNN, OpenMP) while other threads may still be inside them: a
 * training step killed that way crashed the JVM (SIGSEGV in a backward pass, an hs_err file
 * left behind). So work that calls into an engine runs inside a {@link #enter() guard}; the
 * shutdown hook this class installs marks a stop as requested and waits until every guard is
 * closed. Long loops call {@link #throwIfRequested()} at their safe points (the trainer between
 * steps, where it writes a checkpoint; evaluation between batches), so they end quickly.
 */
public final class GracefulStop {
  /** How long the shutdown hook waits for guarded work to reach a safe point. */
  static final long WAIT_SECONDS = 120;

  private static final AtomicInteger ACTIVE = new AtomicInteger();
  /** Guards open on this thread: work inside one was started before any stop and may finish. */
  private static final ThreadLocal<int[]> DEPTH = ThreadLocal.withInitial(() -> new int[1]);
  private static final Object LOCK = new Object();
  private static volatile boolean requested;
  private static boolean hookInstalled;

  private GracefulStop() {}

  /** Work the JVM's exit must wait for; close it when the work is done. */
  public static final class Guard implements AutoCloseable {
    private boolean closed;

    private Guard() {}

    @Override
    public void close() {
      if (closed) {
        return;
      }
      closed = true;
      DEPTH.get()[0]--;
      if (ACTIVE.decrementAndGet() == 0) {
        synchronized (LOCK) {
          LOCK.notifyAll();
        }
      }
    }
  }

  /**
   * Starts guarded work; close the guard on the same thread. Fails with {@link
   * StopRequestedException} once a stop was requested, unless this thread already holds a guard:
   * no new work starts while the JVM is shutting down, but work started before (a server's request
   * in flight, its batch worker) finishes what it needs.
   */
  public static Guard enter() {
    installHook();
    ACTIVE.incrementAndGet();
    int[] depth = DEPTH.get();
    depth[0]++;
    Guard guard = new Guard();
    if (requested && depth[0] == 1) {
      guard.close();
      throw new StopRequestedException("stopped: the process is shutting down");
    }
    return guard;
  }

  /** True once a signal (or {@link #request()}) asked the process to stop. */
  public static boolean requested() {
    return requested;
  }

  /** Ends the current work at this safe point when a stop was requested. */
  public static void throwIfRequested() {
    if (requested) {
      throw new StopRequestedException("stopped by a signal");
    }
  }

  /** Asks guarded work to stop, as a signal does (for embedding applications and tests). */
  public static void request() {
    requested = true;
  }

  /** Waits up to {@code timeout} for every guard to close; true when none is open. */
  static boolean awaitIdle(long timeout, TimeUnit unit) throws InterruptedException {
    long deadline = System.nanoTime() + unit.toNanos(timeout);
    synchronized (LOCK) {
      while (ACTIVE.get() > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(LOCK, left);
      }
    }
    return true;
  }

  private static synchronized void installHook() {
    if (hookInstalled) {
      return;
    }
    hookInstalled = true;
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      requested = true;
      if (ACTIVE.get() == 0) {
        return;
      }
      System.err.println("mtl: stopping at the next safe point (a checkpoint when training)...");
      try {
        if (!awaitIdle(WAIT_SECONDS, TimeUnit.SECONDS)) {
          System.err.println("mtl: still busy after " + WAIT_SECONDS + " s; exiting without waiting further");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "mtl-graceful-stop"));
  }
}
