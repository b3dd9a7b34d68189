# Containerized KRM function form of argo-metrics-gen (kpt, `kustomize fn run`, or
# config.kubernetes.io/function: {container: {image: ...}}). Static binary, distroless, non-root.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/argo-metrics-gen/argo-metrics-gen/internal/cli.Version=${VERSION}" \
      -o /out/argo-metrics-gen ./cmd/argo-metrics-gen

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/argo-metrics-gen /usr/local/bin/argo-metrics-gen
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/argo-metrics-gen"]
