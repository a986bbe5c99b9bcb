package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// Benchmarks of queue triggers through a real weft serve pinned to one core
// (GOMAXPROCS=1) on SQLite with synchronous=FULL: b.N messages are waiting
// at the broker; the clock runs from the process start until every one is an
// execution on disk and acknowledged. Run them with bench/queues.sh.
//
//	go test ./internal/e2e -run '^$' -bench BenchmarkQueue -benchtime 20000x

func benchQueue(b *testing.B, br queueBroker) {
	name := "bench-" + randomSuffix()
	s, logs := startBenchServer(b, name, br.binding())
	// The consumer starts when the credential exists: after the backlog
	// is published, so the clock measures consumption alone.
	br.publish(b, 0, b.N)
	if code, err := s.api("PUT", "/api/v1/credentials/broker", br.credential(), nil); err != nil || code != 200 {
		b.Fatalf("PUT credential: %d %v", code, err)
	}
	// The consumer starts at the next refresh (up to 5s): the clock runs
	// from the first message on.
	var first int64
	for deadline := time.Now().Add(time.Minute); first <= 0; first = s.started(name) {
		if time.Now().After(deadline) {
			b.Fatalf("nothing consumed:\n%s", logs())
		}
		time.Sleep(2 * time.Millisecond)
	}
	b.StartTimer()
	start := time.Now()
	for deadline := time.Now().Add(10 * time.Minute); s.started(name) < int64(b.N); {
		if time.Now().After(deadline) {
			b.Fatalf("only %d of %d consumed", s.started(name), b.N)
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.ReportMetric(float64(int64(b.N)-first)/time.Since(start).Seconds(), "msgs/s")
}

// startBenchServer starts weft serve pinned to one core with workflow name
// consuming binding; logs returns its output so far. The timer is stopped.
func startBenchServer(b *testing.B, name, binding string) (*server, func() string) {
	data, wfDir := b.TempDir(), b.TempDir()
	doc := fmt.Sprintf(queueWorkflow, name, binding)
	if err := os.WriteFile(wfDir+"/"+name+".yaml", []byte(doc), 0o644); err != nil {
		b.Fatal(err)
	}
	addr := "127.0.0.1:" + fmt.Sprint(20000+time.Now().Nanosecond()%20000)
	cmd := exec.Command(binary, "serve", "--addr", addr, "--log-level", "warn", "--seed", "false", "--data", data, "--workflows", wfDir)
	// The brokers are on loopback: let the SSRF guard reach them.
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1", "WEFT_ADMIN_TOKEN="+token, "WEFT_MASTER_KEY="+testMasterKey, "WEFT_ALLOW_PRIVATE_NET=127.0.0.0/8")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	b.StopTimer()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cmd.Process.Signal(syscall.SIGKILL); _ = cmd.Wait() })
	s := &server{url: "http://" + addr}
	for deadline := time.Now().Add(30 * time.Second); ; {
		if resp, err := http.Get(s.url + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			b.Fatalf("weft serve did not start:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return s, logs.String
}

func BenchmarkQueueRabbitMQ(b *testing.B) { benchQueue(b, newRabbit(b)) }
func BenchmarkQueueNATS(b *testing.B)     { benchQueue(b, newNATSStream(b)) }
func BenchmarkQueueRedis(b *testing.B)    { benchQueue(b, newRedisStream(b)) }
func BenchmarkQueueKafka(b *testing.B)    { benchQueue(b, newKafkaTopic(b)) }
