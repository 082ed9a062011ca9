// Command cpa-go-per-pod is the python-per-pod example's user logic in Go, standard library only:
//
//	cpa-go-per-pod metric    stdin {"resource": <pod>}; GETs METRIC_URL (default
//	                         http://{podIP}:8080/capacity) and prints {"pod", "available"}
//	cpa-go-per-pod evaluate  stdin {"metrics": [...]}; total available capacity below
//	                         CAPACITY_LOW (10) -> one replica more, above CAPACITY_HIGH (40) ->
//	                         one fewer, else unchanged; prints {"targetReplicas": n}
//
// Built with CGO_ENABLED=0 it is a static binary, so it runs in the FROM-scratch cpa-minimal image.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

type pod struct {
	Metadata struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
	Status struct {
		PodIP string `json:"podIP"`
	} `json:"status"`
}

type capacity struct {
	Pod       string `json:"pod"`
	Available *int   `json:"available"`
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

func envInt(name string, def int) int {
	v, ok := os.LookupEnv(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		fail("%s=%q is not a whole number", name, v)
	}
	return n
}

func metric(in io.Reader) {
	var input struct {
		Resource pod `json:"resource"`
	}
	if err := json.NewDecoder(in).Decode(&input); err != nil {
		fail("metric input is not the expected JSON: %v", err)
	}
	p := input.Resource
	url := os.Getenv("METRIC_URL")
	if url == "" {
		url = "http://{podIP}:8080/capacity"
	}
	url = strings.NewReplacer("{podIP}", p.Status.PodIP, "{podName}", p.Metadata.Name,
		"{namespace}", p.Metadata.Namespace).Replace(url)
	client := http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		fail("pod %s: cannot read capacity from %s: %v", p.Metadata.Name, url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fail("pod %s: %s answered %s", p.Metadata.Name, url, resp.Status)
	}
	var c capacity
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil || c.Available == nil || *c.Available < 0 {
		fail("pod %s: %s did not answer {\"available\": <count>}", p.Metadata.Name, url)
	}
	c.Pod = p.Metadata.Name
	out, _ := json.Marshal(c)
	fmt.Println(string(out))
}

func evaluate(in io.Reader) {
	var input struct {
		Metrics []struct {
			Resource string `json:"resource"`
			Value    string `json:"value"`
		} `json:"metrics"`
	}
	if err := json.NewDecoder(in).Decode(&input); err != nil {
		fail("evaluate input is not the expected JSON: %v", err)
	}
	low, high := envInt("CAPACITY_LOW", 10), envInt("CAPACITY_HIGH", 40)
	if low > high {
		fail("CAPACITY_LOW (%d) is above CAPACITY_HIGH (%d)", low, high)
	}
	total := 0
	for _, m := range input.Metrics {
		var c capacity
		if err := json.Unmarshal([]byte(m.Value), &c); err != nil || c.Available == nil {
			fail("metric of %s is not {\"available\": <count>}: %q", m.Resource, m.Value)
		}
		total += *c.Available
	}
	current := len(input.Metrics)
	target := current
	if total < low {
		target = current + 1
	} else if total > high {
		target = current - 1
	}
	if target < 0 {
		target = 0
	}
	fmt.Printf("{\"targetReplicas\": %d, \"totalAvailable\": %d}\n", target, total)
}

func main() {
	if len(os.Args) != 2 {
		fail("usage: cpa-go-per-pod metric|evaluate  (JSON on stdin)")
	}
	switch os.Args[1] {
	case "metric":
		metric(os.Stdin)
	case "evaluate":
		evaluate(os.Stdin)
	default:
		fail("unknown mode %q: metric or evaluate", os.Args[1])
	}
}
