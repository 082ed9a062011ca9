module example.com/cpa-go-per-pod

go 1.19
