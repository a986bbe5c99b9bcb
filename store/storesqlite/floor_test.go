package storesqlite_test

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// BenchmarkDiskFloor measures what one durable commit costs this machine's
// disk before any SQL runs: the writes of n WAL frames (SQLite writes each
// frame as two pwrites, a 24-byte header and a 4 KiB page) followed by one
// fdatasync, into a preallocated file in the test's temporary directory.
// One op is one commit, so 1/(ns/op) is the most sequential durable requests
// per second the disk allows: the floor under the c=1 figures in
// docs/benchmarks.md. cpu-µs/op is the CPU (user + system) the process spent
// per commit, which on a virtual machine includes the kernel's share of the
// sync.
//
//	go test -run '^$' -bench DiskFloor -benchtime 2000x ./store/storesqlite/
func BenchmarkDiskFloor(b *testing.B) {
	const page = 4096
	for _, frames := range []int{1, 3, 6, 10} {
		b.Run(fmt.Sprintf("frames=%d", frames), func(b *testing.B) {
			f, err := os.OpenFile(filepath.Join(b.TempDir(), "floor-wal"), os.O_CREATE|os.O_RDWR, 0o600)
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			const size = 4 << 20
			if _, err := f.WriteAt(make([]byte, size), 0); err != nil {
				b.Fatal(err)
			}
			if err := f.Sync(); err != nil {
				b.Fatal(err)
			}
			buf := make([]byte, page)
			fd := int(f.Fd())
			off := int64(0)
			cpu0 := processCPU()
			b.ResetTimer()
			for range b.N {
				for range frames {
					if off+24+page > size {
						off = 0
					}
					if _, err := f.WriteAt(buf[:24], off); err != nil {
						b.Fatal(err)
					}
					if _, err := f.WriteAt(buf, off+24); err != nil {
						b.Fatal(err)
					}
					off += 24 + page
				}
				if err := syscall.Fdatasync(fd); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}

func processCPU() time.Duration {
	var r syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &r); err != nil {
		return 0
	}
	return time.Duration(r.Utime.Nano() + r.Stime.Nano())
}
