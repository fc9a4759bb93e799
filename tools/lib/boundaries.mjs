/**
 * The forbidden edges of an nx project graph ({ nodes: { name: { data: { tags } } },
 * dependencies: { name: [{ target }] } }) under depConstraints, each as a sentence.
 */
export function boundaryViolations(graph, depConstraints) {
  const tagsOf = (project) => graph.nodes[project]?.data.tags ?? [];
  const violations = [];
  for (const [source, deps] of Object.entries(graph.dependencies)) {
    for (const { target } of deps) {
      if (!graph.nodes[target]) continue; // npm packages outside the workspace
      for (const rule of depConstraints) {
        if (!tagsOf(source).includes(rule.sourceTag)) continue;
        const targetTags = tagsOf(target);
        const allowed = rule.onlyDependOnLibsWithTags;
        if (allowed && !targetTags.some((t) => allowed.includes(t))) {
          violations.push(
            `${source} (${rule.sourceTag}) may depend only on ${allowed.join(', ') || 'nothing in the workspace'}, not on ${target}`,
          );
        }
        const banned = (rule.notDependOnLibsWithTags ?? []).filter((t) => targetTags.includes(t));
        if (banned.length)
          violations.push(
            `${source} (${rule.sourceTag}) must not depend on ${target} (${banned.join(', ')})`,
          );
      }
    }
  }
  return violations;
}
