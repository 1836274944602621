import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { VIEWS } from '../views/registry';

export const useNavStore = defineStore('nav', () => {
  const current = ref<string>('vault');
  const view = computed(() => VIEWS.find((v) => v.id === current.value) ?? VIEWS[0]);
  function go(id: string): void {
    if (VIEWS.some((v) => v.id === id)) current.value = id;
  }
  return { current, view, go };
});
