# spot-ingest AMI: Amazon Linux 2023 + Node.js 24 + the app in /opt/spot-ingest + spot-ingest.service
# enabled (it starts once the instance's user data has written /etc/spot-ingest/env).
#
#   packer init packer/
#   packer build -var region=ap-northeast-1 packer/
#
# See packer/README.md for the variables, the instance role (iam-policy.json) and the user data.

packer {
  required_version = ">= 1.9.0"
  required_plugins {
    amazon = {
      source  = "github.com/hashicorp/amazon"
      version = ">= 1.3.0"
    }
  }
}

variable "region" {
  type        = string
  description = "AWS region to build the AMI in (and where it is registered)."
}

variable "instance_type" {
  type        = string
  default     = "t3.medium"
  description = "Builder instance type; must match arch (t4g.medium for arm64)."
}

variable "arch" {
  type        = string
  default     = "x86_64"
  description = "CPU architecture of the base image: x86_64 or arm64 (Graviton)."
  validation {
    condition     = contains(["x86_64", "arm64"], var.arch)
    error_message = "The arch variable must be x86_64 or arm64."
  }
}

variable "source_ami" {
  type        = string
  default     = ""
  description = "Explicit base AMI id; empty = the newest Amazon Linux 2023 image for arch (source_ami_filter)."
}

variable "source_ami_name" {
  type        = string
  default     = "al2023-ami-2023.*-kernel-*"
  description = "Name pattern of the base image when source_ami is empty (the arch is appended)."
}

variable "node_version" {
  type        = string
  default     = "latest-v24.x"
  description = "Node.js release from nodejs.org/dist: an exact version (24.11.1) or latest-v24.x."
}

variable "ami_name_prefix" {
  type        = string
  default     = "spot-ingest"
  description = "The AMI is named <prefix>-<app version>-<arch>-<timestamp>."
}

variable "subnet_id" {
  type        = string
  default     = ""
  description = "Subnet for the builder instance (empty = the default VPC); it needs Internet access."
}

variable "ssh_username" {
  type    = string
  default = "ec2-user"
}

variable "tags" {
  type        = map(string)
  default     = {}
  description = "Extra tags for the AMI and its snapshots."
}

locals {
  repo_root   = abspath("${path.root}/..")
  build_dir   = "${path.root}/.build"
  app_version = jsondecode(file("${path.root}/../package.json")).version
  timestamp   = formatdate("YYYYMMDDhhmmss", timestamp())

  ami_tags = merge({
    Name        = "${var.ami_name_prefix}-${local.app_version}-${var.arch}"
    Application = "spot-ingest"
    AppVersion  = local.app_version
    BaseAMI     = "{{ .SourceAMI }}"
    BaseAMIName = "{{ .SourceAMIName }}"
    NodeVersion = var.node_version
    BuildRegion = var.region
  }, var.tags)
}

source "amazon-ebs" "al2023" {
  region        = var.region
  instance_type = var.instance_type
  subnet_id     = var.subnet_id == "" ? null : var.subnet_id
  ssh_username  = var.ssh_username
  ami_name      = "${var.ami_name_prefix}-${local.app_version}-${var.arch}-${local.timestamp}"

  ami_description = "spot-ingest ${local.app_version} on Amazon Linux 2023 (${var.arch}), Node.js 24"

  source_ami = var.source_ami == "" ? null : var.source_ami
  dynamic "source_ami_filter" {
    for_each = var.source_ami == "" ? [1] : []
    content {
      filters = {
        name                = "${var.source_ami_name}-${var.arch}"
        architecture        = var.arch
        root-device-type    = "ebs"
        virtualization-type = "hvm"
      }
      owners      = ["amazon"]
      most_recent = true
    }
  }

  # IMDSv2 only, on the builder and on instances launched from the AMI.
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }
  imds_support = "v2.0"

  launch_block_device_mappings {
    device_name           = "/dev/xvda"
    volume_size           = 16
    volume_type           = "gp3"
    encrypted             = true
    delete_on_termination = true
  }

  tags          = local.ami_tags
  snapshot_tags = local.ami_tags

  run_tags = {
    Name = "packer-spot-ingest-builder"
  }
}

build {
  name    = "spot-ingest"
  sources = ["source.amazon-ebs.al2023"]

  # The app as npm would publish it (npm pack: no node_modules, no .git), plus the lock file that
  # npm pack always leaves out and `npm ci` needs. Runs on the machine running packer.
  provisioner "shell-local" {
    inline = [
      "set -eu",
      "rm -rf '${local.build_dir}' && mkdir -p '${local.build_dir}'",
      "cd '${local.repo_root}' && npm pack --silent --ignore-scripts --pack-destination '${local.build_dir}' >/dev/null",
      "mv '${local.build_dir}'/spot-ingest-*.tgz '${local.build_dir}/spot-ingest.tgz'",
      "cp '${local.repo_root}/package-lock.json' '${local.build_dir}/package-lock.json'",
    ]
  }

  provisioner "file" {
    sources     = ["${local.build_dir}/spot-ingest.tgz", "${local.build_dir}/package-lock.json"]
    destination = "/tmp/"
  }

  # OS updates, then Node.js 24 from the official tarball (checksum-verified) into /usr/local.
  provisioner "shell" {
    script           = "${path.root}/scripts/install-node.sh"
    environment_vars = ["NODE_VERSION=${var.node_version}"]
    execute_command  = "chmod +x {{ .Path }}; sudo env {{ .Vars }} bash {{ .Path }}"
  }

  # /opt/spot-ingest: unpack, npm ci --omit=dev (OCR language data comes with the npm
  # dependencies), check it runs on the system Node, install and enable the unit.
  provisioner "shell" {
    script          = "${path.root}/scripts/install-app.sh"
    execute_command = "chmod +x {{ .Path }}; sudo env {{ .Vars }} bash {{ .Path }}"
  }

  post-processor "manifest" {
    output     = "${local.build_dir}/manifest.json"
    strip_path = true
  }
}
