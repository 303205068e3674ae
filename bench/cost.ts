export async function run(): Promise<string> {
  return '';
}
