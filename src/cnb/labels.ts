/** The `io.buildpacks.*` image labels of the Cloud Native Buildpacks specification, named once. */

export const BUILDER_METADATA_LABEL = 'io.buildpacks.builder.metadata';
export const BUILDPACKAGE_METADATA_LABEL = 'io.buildpacks.buildpackage.metadata';
export const BUILDPACK_LAYERS_LABEL = 'io.buildpacks.buildpack.layers';
export const EXTENSION_METADATA_LABEL = 'io.buildpacks.extension.metadata';
export const STACK_ID_LABEL = 'io.buildpacks.stack.id';
export const STACK_DESCRIPTION_LABEL = 'io.buildpacks.stack.description';
export const STACK_HOMEPAGE_LABEL = 'io.buildpacks.stack.homepage';
/** Labels of base images under the newer (post-stack) spec: `io.buildpacks.base.distro.name`, … */
export const BASE_LABEL_PREFIX = 'io.buildpacks.base.';
