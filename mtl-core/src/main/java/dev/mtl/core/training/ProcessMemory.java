package dev.mtl.core.training;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The process's memory as the operating system and the JVM see it. Resident memory (RSS) is what a
 * machine actually gives the run: the Java heap as far as it was touched plus the engine's native
 * arrays, its allocator's caches and the JVM's own; the heap figure alone misses most of it.
 */
final class ProcessMemory {
  private static final Path STATUS = Path.of("/proc/self/status");

  private ProcessMemory() {}

  /** The Java heap's peak use since the JVM started (the engine's native memory is not included). */
  static long peakHeapBytes() {
    long total = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
        total += pool.getPeakUsage().getUsed();
      }
    }
    return total;
  }

  /** Resident memory now, in bytes; -1 where the system does not say (only Linux's /proc is read). */
  static long residentBytes() {
    return statusField("VmRSS:");
  }

  /** The most resident memory the process has had (its high-water mark), in bytes; -1 where unknown. */
  static long peakResidentBytes() {
    return statusField("VmHWM:");
  }

  private static long statusField(String field) {
    try {
      for (String line : Files.readAllLines(STATUS)) {
        if (line.startsWith(field)) {
          // "VmRSS:    123456 kB"
          return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // Not Linux, or a /proc we cannot read: the figure is unknown, which the report says with -1.
    }
    return -1;
  }
}
